"""cli layer of mixpanel_data (see DESIGN.md §2)."""
