"""Scanned application forms → records (see bots/ocr/DESIGN.md).

::

    template.py    the form's selector map (selectors/forms/<form>.yaml): page, anchors, field zones
    results.py     FieldReading / FormResult: what the pipeline hands back
    images.py      files → page images (Pillow, pypdfium2); per-file errors
    register.py    deskew, find the corner marks, warp onto the template
    fields.py      crop, clean, OCR each field (two models, several readings), checkbox ink
    prepare.py     a text crop → per reading, the binarised images of its runs of ink
    clean.py       the ink of a crop: rules, seal rims, specks erased; spaces from gaps
    glyphs.py      text drawn in the print fonts, compared with the ink; look-alike characters
    itaiji.py      names: may the ink hold 髙/﨑/𠮷 where 高/崎/吉 was read?
    inkfit.py      readings that differ: the one (or mix) the ink clearly prefers, if any
    normalize.py   per-kind normalisation and validation
    pipeline.py    read_forms: all of it, fields in a process pool
    review.py      the review workbook and ``review import``
"""
