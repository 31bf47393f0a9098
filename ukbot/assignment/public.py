"""The only functions other apps may call synchronously in `assignment`: keyword-only, returning frozen dataclasses.

Nothing here yet: the first capability that another app needs from `assignment` adds its function here.
"""
