"""The only functions other apps may call synchronously in `media`: keyword-only, returning frozen dataclasses.

Nothing here yet: the first capability that another app needs from `media` adds its function here.
"""
