"""Insurance claims in the Ministry of Health's XML 130 format (QĐ 130 → 4750 → 3176)."""
