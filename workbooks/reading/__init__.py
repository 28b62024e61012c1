"""Reading a submission workbook into long rows of values and tasks, each with its cell."""
