"""The image path rule shared by ingestion, `predict` and `init`: relative paths with '/',
absolute ones under the data root read as relative, nothing that leads out of the data root."""

import os

import pytest

from components.ingest import image_paths
from components.ingest.rejections import Reason, RowRejected


def _refusal(data_root, cell):
    with pytest.raises(RowRejected) as raised:
        image_paths.resolve_image_path(str(data_root), cell, "image")
    return raised.value.reason, raised.value.detail


def test_an_absolute_path_under_the_data_root_is_read_as_the_relative_path(image_data_root):
    root = str(image_data_root)
    for cell in (f"{root}/img/good.png", f"{root}//img/./good.png", f"{root}/x/../img/good.png"):
        assert image_paths.relative_image_path(root, cell, "image") == "img/good.png"
        assert image_paths.resolve_image_path(root, cell, "image") == f"{root}/img/good.png"


def test_an_absolute_path_through_the_data_roots_link_is_under_it(image_data_root, tmp_path):
    """A data root reached through a symbolic link holds the paths written with its real
    location, and the other way round."""
    os.symlink(image_data_root, tmp_path / "linked_root")
    linked = str(tmp_path / "linked_root")
    assert image_paths.relative_image_path(
        linked, f"{image_data_root}/img/good.png", "image") == "img/good.png"
    real_root = os.path.realpath(image_data_root)
    assert image_paths.resolve_image_path(
        linked, f"{real_root}/img/good.png", "image") == f"{linked}/img/good.png"


def test_an_absolute_path_elsewhere_is_refused_saying_what_paths_may_be(image_data_root,
                                                                         tmp_path):
    root = str(image_data_root)
    for cell in (f"{tmp_path}/outside.png", f"{root}/../outside.png", f"{root}x/img/good.png"):
        assert _refusal(root, cell) == (
            Reason.PATH_ESCAPES_ROOT,
            f"{cell} is not under {root}: paths are relative to the data root, or absolute "
            "under it")


def test_dot_dot_and_links_out_are_refused_naming_the_cause(image_data_root, tmp_path):
    real_tmp = os.path.realpath(tmp_path)
    assert _refusal(image_data_root, "img/../../outside.png") == (
        Reason.PATH_ESCAPES_ROOT, "img/../../outside.png: '..' leads out of it")
    assert _refusal(image_data_root, "linked_dir/x.png") == (
        Reason.PATH_ESCAPES_ROOT,
        f"linked_dir/x.png: a symbolic link leads it to {real_tmp}/outside_dir/x.png, outside "
        f"{real_tmp}/root; copy the files under the data root, or make the folder that holds "
        "them the data root")


def test_a_backslash_path_is_refused_saying_paths_use_slashes(image_data_root):
    assert _refusal(image_data_root, "img\\0000.jpg") == (
        Reason.PATH_BACKSLASH, "img\\0000.jpg: paths use '/', as in img/0000.jpg")
    assert str(RowRejected(Reason.PATH_BACKSLASH, "image", "x")) == (
        "image: image path holds a backslash (x)")


def test_a_remote_data_root_takes_its_own_absolute_paths_only():
    root = "gs://bucket/drop"
    assert (image_paths.resolve_image_path(root, "img/0.png", "image")
            == "gs://bucket/drop/img/0.png")
    assert image_paths.resolve_image_path(
        root + "/", "gs://bucket/drop/img/../img/0.png", "image") == "gs://bucket/drop/img/0.png"
    for cell in ("gs://bucket/other/0.png", "/home/me/drop/img/0.png"):
        assert _refusal(root, cell)[0] is Reason.PATH_ESCAPES_ROOT
