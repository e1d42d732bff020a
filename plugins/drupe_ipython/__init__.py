"""drupe's bundled ``ipython`` plugin: drupe in IPython and Jupyter notebooks.

In a notebook (extra ``drupe[ipython]``)::

    %load_ext drupe_ipython

finds the project from the working folder and defines ``session``,
``context``, ``catalog``, ``params`` and ``pipelines``. Then:

* ``%reload_drupe [PATH] [--env ENV] [--params k=v,...] [--conf-source SRC]``
  closes the session and builds everything again, re-importing the project's
  modules so edited node code is used;
* ``%run_drupe [drupe run flags]`` runs in a new session of the same
  project, with a progress bar (``ipywidgets``) or progress lines;
* ``%load_node NODE`` writes a node's inputs (loaded from the catalog), its
  function's source and a call to it into the next cell.

Entry point ``ipython`` in the ``drupe.plugins`` group (`IPythonPlugin`):
the plugin answers no session hook, so sessions outside IPython never import
IPython; being registered, it is listed by ``drupe info`` with its version.
It talks to the pipeline plugin only through the ``get_pipelines`` and
``get_catalog`` hooks that plugin specifies, called by name: with the
pipeline plugin disabled they do not exist, and the notebook says so.
"""

from __future__ import annotations

from typing import Any

__all__ = ["IPythonPlugin", "load_ipython_extension", "unload_ipython_extension"]


class IPythonPlugin:
    """The ``ipython`` plugin of a session: it implements no hook (the magics are IPython's)."""


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext drupe_ipython``: register the magics and load the project."""
    from drupe_ipython.magics import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext drupe_ipython``: close the session the extension opened."""
    from drupe_ipython.magics import unload

    unload(ipython)
