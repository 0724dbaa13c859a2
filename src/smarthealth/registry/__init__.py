"""Master data: facilities, departments, clinic rooms, services and prices, practitioners, staff."""
