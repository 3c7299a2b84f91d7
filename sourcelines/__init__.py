"""An upload's source lines, as bytes: where each physical line ends, the sparse line index kept
with each version, and bounded ranged reads of a few lines for a page.

Apart from the engine because both sides use it: the worker's reader cuts lines with it, the
source-line view, the rejected rows download and the corrected copy (the web process) read lines
with it. numpy, which the web process may load, and no pandas.
"""
