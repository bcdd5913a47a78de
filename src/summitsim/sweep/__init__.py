"""Sweeps: many seeded runs over parameter points and replicate seeds.

``spec`` says what varies (grid, LHS or Sobol samples, replicates), ``plan`` turns that into
points and seeds, ``worker`` plays chunks of runs, ``executors`` send chunks to local worker
processes or a Dask cluster, ``store`` writes the output folder in chunks (with resume), and
``summary``, ``sensitivity`` and ``discover`` analyse a finished folder.

Import the submodules you need; this package imports nothing heavy.
"""
