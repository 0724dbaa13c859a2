"""SmartHealth Hanoi."""
