"""Standalone scripts that load and run generated code in a separate process, one per target.

Each reads a JSON list of jobs on stdin and prints one JSON line per job. They import nothing from
dlp2c (the Caffe one runs under Caffe's own Python) and never execute anything but the generated
files and the framework.
"""
