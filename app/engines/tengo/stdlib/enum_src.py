"""Source of the ``enum`` module (a Tengo source module, as in Tengo's stdlib)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

ENUM_SOURCE = r"""
is_enumerable := func(x) {
  return is_array(x) || is_map(x) || is_immutable_array(x) || is_immutable_map(x)
}

is_array_like := func(x) {
  return is_array(x) || is_immutable_array(x)
}

export {
  all: func(x, fn) {
    if !is_enumerable(x) { return undefined }
    for k, v in x {
      if !fn(k, v) { return false }
    }
    return true
  },
  any: func(x, fn) {
    if !is_enumerable(x) { return undefined }
    for k, v in x {
      if fn(k, v) { return true }
    }
    return false
  },
  chunk: func(x, size) {
    if !is_array_like(x) || !size { return undefined }
    numElements := len(x)
    if !numElements { return [] }
    res := []
    idx := 0
    for idx < numElements {
      res = append(res, x[idx:idx+size])
      idx += size
    }
    return res
  },
  at: func(x, key) {
    if !is_enumerable(x) { return undefined }
    if is_array_like(x) {
      if !is_int(key) { return undefined }
    } else {
      if !is_string(key) { return undefined }
    }
    return x[key]
  },
  each: func(x, fn) {
    if !is_enumerable(x) { return undefined }
    for k, v in x {
      fn(k, v)
    }
  },
  filter: func(x, fn) {
    if !is_array_like(x) { return undefined }
    dst := []
    for k, v in x {
      if fn(k, v) { dst = append(dst, v) }
    }
    return dst
  },
  find: func(x, fn) {
    if !is_enumerable(x) { return undefined }
    for k, v in x {
      if fn(k, v) { return v }
    }
  },
  find_key: func(x, fn) {
    if !is_enumerable(x) { return undefined }
    for k, v in x {
      if fn(k, v) { return k }
    }
  },
  map: func(x, fn) {
    if !is_enumerable(x) { return undefined }
    dst := []
    for k, v in x {
      dst = append(dst, fn(k, v))
    }
    return dst
  },
  key: func(k, _) { return k },
  value: func(_, v) { return v }
}
"""
