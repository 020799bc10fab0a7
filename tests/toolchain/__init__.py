"""Tests of the toolchain itself: solc adapter, ape compile, anvil and cast, setup."""
