"""The only functions other apps may call synchronously in `integrations`: keyword-only, returning frozen dataclasses.

Nothing here yet: the first capability that another app needs from `integrations` adds its function here.
"""
