"""The only functions other apps may call synchronously in `shifts`: keyword-only, returning frozen dataclasses.

Nothing here yet: the first capability that another app needs from `shifts` adds its function here.
"""
