"""Reading and writing the submission, feedback and review workbooks."""
