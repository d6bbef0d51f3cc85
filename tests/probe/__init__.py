"""Tests of `judge probe`."""
