"""Scanned application forms → records (see bots/ocr/DESIGN.md).

::

    template.py    the form's selector map (selectors/forms/<form>.yaml): page, anchors, field zones
    results.py     FieldReading / FormResult: what the pipeline hands back
    images.py      files → page images (Pillow, pypdfium2); per-file errors
    register.py    deskew, find the corner marks, warp onto the template
    fields.py      crop, clean, OCR one field (two readings), checkbox ink
    normalize.py   per-kind normalisation and validation
    pipeline.py    read_forms: all of it, fields in a process pool
    review.py      the review workbook and ``review import``
"""
