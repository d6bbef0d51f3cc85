"""`judge probe`: planted-error sensitivity of a judge, per rubric × criterion × language."""
