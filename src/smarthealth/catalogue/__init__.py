"""Shared clinical catalogues: ICD-10 (QĐ 4469), ICD-9-CM procedures (QĐ 4440), drugs, services."""
