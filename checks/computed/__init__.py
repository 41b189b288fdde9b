"""Derived data several checks share, computed once per audit (``ctx.computed``): the
document index, the policy/解读 index, column facts, article records, title similarity.
No check module imports another check module; they all read these."""
