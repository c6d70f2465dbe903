"""Pure per-frame effects on numpy RGB frames and masks. Imports neither Qt, torch, model nor app."""
