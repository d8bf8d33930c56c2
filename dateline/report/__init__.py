"""The data-quality report: ``data`` reads the warehouse, ``charts`` draws the inline SVG,
``html`` renders and writes the pages."""
