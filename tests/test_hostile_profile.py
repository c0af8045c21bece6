"""A Profile survives pickling and deep copies, and still hides its token."""

from __future__ import annotations

import copy
import pickle

import pytest

from livelike._profile import Profile
from tests.conftest import MakeClient


def test_profile_pickles_and_deep_copies_with_its_token_hidden(make_client: MakeClient) -> None:
    profile = make_client().init()
    token = str(profile.access_token)
    pickled = pickle.loads(pickle.dumps(profile))
    for clone in (pickled, copy.deepcopy(profile), copy.copy(profile)):
        assert clone == profile
        assert clone.access_token == token
        assert clone.data == profile.data
        assert clone.source == profile.source
        assert clone.fetched_at == profile.fetched_at
        assert token not in repr(clone)
        assert token not in str(clone)
        with pytest.raises(TypeError):
            clone.data["nickname"] = "changed"  # type: ignore[index]


def test_a_profile_in_a_list_deep_copies_independently() -> None:
    profile = Profile.from_json({"id": "p1", "nickname": "n", "extra": [1]}, access_token="t-1")
    clone = copy.deepcopy([profile])[0]
    assert clone.data["extra"] == [1]
    assert clone.data["extra"] is not profile.data["extra"]
    assert clone.access_token == "t-1"
