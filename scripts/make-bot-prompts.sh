#!/usr/bin/env bash
# Speaks the sandbox Lex bot's prompts with espeak-ng into crates/dialtone-sandbox/prompts/.
# The WAVs are committed, so building and testing need no speech synthesiser; run this
# again (apt-get install espeak-ng) after changing a line. The sandbox resamples them to
# the 8 kHz Lex uses when it starts.
set -euo pipefail
out="$(dirname "$0")/../crates/dialtone-sandbox/prompts"
mkdir -p "$out"
command -v espeak-ng >/dev/null || { echo "make-bot-prompts: install espeak-ng first" >&2; exit 1; }
say() { espeak-ng -v en-us -s 165 -w "$out/$1.wav" "$2"; }
say greeting "Welcome to the Dialtone demo hotel. Press 1 to book a room, or type what you need."
say book_room "Okay, let's book a room. Which city are you travelling to?"
say fallback "Sorry, I can only book rooms. Press 1, or type book a room."
say heard_voice "I heard you, but I understand only keys and typed text. Press 1 to book a room."
ls -l "$out"
