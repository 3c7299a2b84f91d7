"""Django's pagination over what the catalog reads from MongoDB: the browse index, whose pages are
stored whole, and the search matches. Nothing is listed to be counted: a count is stored or known."""

from collections.abc import Callable, Sequence

from django.core.paginator import Page, Paginator

# A page as the query string gives it: Django's `get_page` turns what is no page into the first or the last.
PageNumber = int | str | None


class ElidedPage(Page):
    @property
    def elided_range(self):
        """The first and last page numbers and a few around this one, `Paginator.ELLIPSIS` in the gaps."""
        return self.paginator.get_elided_page_range(self.number, on_each_side=2, on_ends=1)


class Pages(Paginator):
    """A Paginator whose pages also give their elided page range to templates."""

    def _get_page(self, *args, **kwargs) -> ElidedPage:
        return ElidedPage(*args, **kwargs)


class IndexPages(Pages):
    """The pages of one browse-index node (`catalog.read_model`): each is one document read by `_id`.

    The index closes a page early when its items would pass the node budget, so a page is not an
    offset times a size: the count and the number of pages come from the node's header, and a page
    is the node stored under that number. `read(number, header_only)` returns a node or None."""

    def __init__(self, read: Callable[[int, bool], dict | None], per_page: int):
        super().__init__((), per_page)
        self._read = read
        self._header = None

    def _first(self) -> dict:
        if self._header is None:
            self._header = self._read(1, True) or {"total": 0, "pages": 1}
        return self._header

    @property
    def count(self) -> int:
        return self._first()["total"]

    @property
    def num_pages(self) -> int:
        return max(1, self._first()["pages"])

    def page(self, number) -> ElidedPage:
        if self._header is None and str(number).isdigit():  # one read when the page exists
            node = self._read(int(number), False)
            if node is not None:
                self._header = node
                return self._get_page(node["items"], node["page"], self)
        number = self.validate_number(number)
        node = self._read(number, False)
        return self._get_page(node["items"] if node else [], number, self)


class Matches(Sequence):
    """Matches known by their positions, read a page at a time: `len` is every match, a slice
    reads only the rows it holds (`read(positions)`)."""

    def __init__(self, positions, read: Callable[[Sequence], list]):
        self._positions = positions
        self._read = read

    def __len__(self) -> int:
        return len(self._positions)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._read(self._positions[index])
        return self._read(self._positions[index : index + 1])[0]
