"""Electronic medical records: encounters, versioned clinical entries, charges, inpatient."""
