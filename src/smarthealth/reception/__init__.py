"""Reception: kiosk check-in, queue tickets, rooms, display boards and the phone status page."""
