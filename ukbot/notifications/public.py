"""The only functions other apps may call synchronously in `notifications`: keyword-only, returning frozen dataclasses.

Nothing here yet: the first capability that another app needs from `notifications` adds its function here.
"""
