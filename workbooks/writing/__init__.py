"""Writing workbooks: the agency template, submissions in its layouts, and feedback."""
