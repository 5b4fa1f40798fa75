"""The words of the operator pages and error pages, one table per language, kept apart from
the code that looks them up (``recado.http.i18n``)."""
