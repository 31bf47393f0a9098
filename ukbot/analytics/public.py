"""The only functions other apps may call synchronously in `analytics`: keyword-only, returning frozen dataclasses.

Nothing here yet: the first capability that another app needs from `analytics` adds its function here.
"""
