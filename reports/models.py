"""Plans and their targets (see ``reports.plans``)."""
