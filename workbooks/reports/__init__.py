"""The review workbook of a period and its draft text (the narrative)."""
