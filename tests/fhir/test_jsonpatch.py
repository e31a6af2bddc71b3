"""JSON Patch (RFC 6902) as PATCH applies it: the RFC's operations and pointers, all or none,
and a 400 naming the operation that cannot be applied."""

import pytest

from fhir.errors import BadRequest
from fhir.jsonpatch import apply_patch

DOC = {"status": "booked", "a/b": 1, "list": [1, 2], "inner": {"x": "y"}}


def test_it_applies_the_rfcs_operations_in_order_leaving_the_input_alone():
    patched = apply_patch(
        DOC,
        [
            {"op": "test", "path": "/status", "value": "booked"},
            {"op": "replace", "path": "/status", "value": "cancelled"},
            {"op": "add", "path": "/list/-", "value": 3},
            {"op": "add", "path": "/list/0", "value": 0},
            {"op": "remove", "path": "/list/1"},
            {"op": "copy", "from": "/inner", "path": "/copied"},
            {"op": "move", "from": "/a~1b", "path": "/inner/moved"},
        ],
    )

    assert patched == {
        "status": "cancelled",
        "list": [0, 2, 3],
        "inner": {"x": "y", "moved": 1},
        "copied": {"x": "y"},
    }
    assert DOC["status"] == "booked" and DOC["list"] == [1, 2]  # not changed


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ([], "non-empty JSON array"),
        ([{"op": "frobnicate", "path": "/status"}], "operation 1: give an object whose 'op'"),
        ([{"op": "replace", "path": "status", "value": 1}], "must be a JSON Pointer"),
        ([{"op": "replace", "path": "/missing", "value": 1}], "'/missing' does not exist"),
        ([{"op": "add", "path": "/list/5", "value": 1}], "the array has no element 5"),
        ([{"op": "remove", "path": "/list/01"}], "'01' is not an index"),
        ([{"op": "remove", "path": "/list/²"}], "'²' is not an index"),  # not int()'s digit
        ([{"op": "remove", "path": "/list/" + "9" * 5000}], "is not an index"),
        ([{"op": "add", "path": "/status"}], "'add' needs a 'value'"),
        ([{"op": "move", "from": "/inner", "path": "/inner/x/y"}], "into itself"),
        (
            [{"op": "remove", "path": "/status"}, {"op": "test", "path": "/list", "value": []}],
            "operation 2: the test of '/list' failed",
        ),
    ],
)
def test_a_patch_that_cannot_be_applied_is_a_400_naming_the_operation(patch, expected):
    with pytest.raises(BadRequest, match=expected.replace("(", r"\(")):
        apply_patch(DOC, patch)
