#!/usr/bin/env bash
# The C++ unit tests again, built with AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer (every report fatal): see unit.sh.
TAKO_SANITIZE=1 exec bash "$(dirname "$0")/unit.sh"
