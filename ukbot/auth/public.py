"""The only functions other apps may call synchronously in `auth`: keyword-only, returning frozen dataclasses.

Nothing here yet: the first capability that another app needs from `auth` adds its function here.
"""
