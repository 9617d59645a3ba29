#!/usr/bin/env python3
"""PESQ (ITU-T P.862, the PyPI `pesq` package) of a recording against its reference.

usage: pesq-score.py REFERENCE.wav DEGRADED.wav
Both are mono 16-bit WAV at any rate. The degraded file is a whole call recording: it is
aligned to the reference first (the lag of the envelopes' cross-correlation), cut to its
length, then both are scored wide-band at 16 kHz and narrow-band at 8 kHz.
Prints one JSON line: {"wb": ..., "nb": ..., "lag_ms": ...}.
"""
import json
import sys
import wave

import numpy as np
from pesq import pesq
from scipy.signal import resample_poly


def read(path):
    with wave.open(path) as w:
        if w.getsampwidth() != 2:
            sys.exit(f"{path}: 16-bit WAV expected")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        data = data[:: w.getnchannels()].astype(np.float64) / 32768.0
        return data, w.getframerate()


def at(x, rate, to):
    g = np.gcd(rate, to)
    return resample_poly(x, to // g, rate // g)


def align(ref, deg):
    """deg cut to ref's length, starting where ref starts in it."""
    n = 1 << int(np.ceil(np.log2(len(ref) + len(deg))))
    env = lambda x: np.abs(x) - np.mean(np.abs(x))
    corr = np.fft.irfft(np.fft.rfft(env(deg), n) * np.conj(np.fft.rfft(env(ref), n)), n)
    lag = int(np.argmax(corr[: len(deg)]))
    cut = deg[lag : lag + len(ref)]
    return np.pad(cut, (0, len(ref) - len(cut))), lag


def main():
    ref, r_rate = read(sys.argv[1])
    deg, d_rate = read(sys.argv[2])
    ref16, deg16 = at(ref, r_rate, 16000), at(deg, d_rate, 16000)
    deg16, lag = align(ref16, deg16)
    out = {"lag_ms": round(lag / 16.0)}
    try:
        out["wb"] = round(float(pesq(16000, ref16, deg16, "wb")), 3)
        out["nb"] = round(float(pesq(8000, at(ref16, 16000, 8000), at(deg16, 16000, 8000), "nb")), 3)
    except Exception as e:  # no utterance found, a silent recording
        out["error"] = str(e)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
