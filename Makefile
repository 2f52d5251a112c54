# tako_cache: PGXS build of the extension, plus the project's two set-up commands.
#   make test                 every test suite, on temporary clusters it starts itself: the server's
#                             suites on PostgreSQL 15, 17 and 18 (17 and 18 in Debian roots: see
#                             test/lib/pg_version.sh); PG=17 for one version (make demo, make bench too)
#   make check                the quick loop for a change: the unit tests under the sanitizers, then
#                             one version's (PG, default 15) build, pg_regress and pgTAP suites
#   make fuzz                 the fuzz targets of test/fuzz, 600 s each (FUZZ_SECONDS=...)
#   make demo                 a local cluster in .demo/ with the cache filled and served
#   make && make install      build and install the extension (PostgreSQL 15, or PG_CONFIG=...)
#   make installcheck         the pg_regress suite (test/regress) against a running server (PGHOST/PGPORT)
#   make deb                  the Debian packages, dist/postgresql-<v>-tako-cache_<version>_<arch>.deb for
#                             15, 17 and 18 (PG=17 for one), each built in a Debian root of its suite
#                             (docs/debian-package.md; needs root)

EXTENSION  = tako_cache
MODULE_big = tako_cache

CORE_SRCS = $(sort $(wildcard src/core/*.cpp src/core/*/*.cpp))
PG_SRCS   = $(sort $(wildcard src/pg/*.cpp src/pg/*/*.cpp))
OBJS      = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

# The current version's install script is generated from the topic files of sql/src (and the
# platforms of sql/data); sql/install holds 1.0's and the upgrade scripts.
EXTVERSION = $(shell sed -n "s/^default_version = '\\(.*\\)'/\\1/p" $(EXTENSION).control)
DATA       = $(sort $(wildcard sql/install/$(EXTENSION)--*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql

# pg_regress: test/regress/sql/*.sql against test/regress/expected/*.out.
REGRESS      = $(patsubst test/regress/sql/%.sql,%,$(sort $(wildcard test/regress/sql/*.sql)))
REGRESS_OPTS = --inputdir=test/regress --outputdir=test/regress --load-extension=plpgsql

PG_CPPFLAGS = -I$(srcdir)/src
PG_CXXFLAGS = -std=c++17 -fPIC -fvisibility=hidden -fvisibility-inlines-hidden -Wno-register \
              -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK  = -lcurl -lstdc++
EXTRA_CLEAN = test/probe/*.o test/probe/*.so

# No LLVM bitcode: JIT inlining of C++ bodies is of no use and needs a matching clang.
override with_llvm = no

# PostgreSQL 15's own pg_config when it is there, whatever else is installed.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(wildcard $(shell $(PG_CONFIG) --pgxs 2>/dev/null))
# `make check` is the project's quick loop (below), not PGXS's (which only says to use installcheck).
ifneq ($(filter check,$(MAKECMDGOALS)),)
PGXS :=
endif

.PHONY: test check demo demo-stop unit fuzz bench format probe-install deb

ifneq ($(PGXS),)
include $(PGXS)

# PGXS builds C++ with $(CXX); keep the server's C-only warning flags out of it.
override CXXFLAGS := $(filter-out -Wmissing-prototypes -Wdeclaration-after-statement,$(CXXFLAGS))

$(OBJS): $(wildcard src/core/*.hpp src/core/*/*.hpp src/pg/*.hpp src/pg/*/*.hpp)

$(EXTENSION)--$(EXTVERSION).sql: scripts/install_sql.sh $(wildcard sql/src/*.sql) sql/data/platforms.tsv $(EXTENSION).control
	bash scripts/install_sql.sh $(EXTVERSION) >$@.tmp && mv $@.tmp $@

# The test-only boundary probe (test/probe), built from the extension's own boundary objects and
# installed beside it for the regression tests; never part of the extension.
PROBE_OBJS = test/probe/probe.o src/pg/error_boundary.o src/pg/datum.o src/core/error.o
test/probe/probe.o: $(wildcard src/core/*.hpp src/core/*/*.hpp src/pg/*.hpp src/pg/*/*.hpp)
test/probe/tako_cache_probe.so: $(PROBE_OBJS)
	$(CXX) -shared -o $@ $(PROBE_OBJS) $(LDFLAGS) -lstdc++

probe-install: test/probe/tako_cache_probe.so
	$(INSTALL_SHLIB) test/probe/tako_cache_probe.so '$(DESTDIR)$(pkglibdir)/'

installcheck: probe-install
else
# Before the dependencies are installed only `make test` and `make demo` work: they install them.
all install installcheck probe-install:
	@echo "PostgreSQL 15 development files not found: run 'make test' or 'make demo' (they install" \
	      "what is missing), or apt-get install postgresql-server-dev-15" >&2; exit 1
endif

test:
	bash test/run_all.sh

check:
	bash test/run_all.sh --check

demo:
	bash scripts/demo.sh

deb:
	bash scripts/deb.sh $(PG)

demo-stop:
	bash scripts/demo.sh --stop

unit:
	bash test/suites/unit.sh

# The libFuzzer targets of test/fuzz, 600 s each (make test runs them 15 s each): see test/fuzz/README.md.
fuzz:
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} FUZZ_SEED=$${FUZZ_SEED:-0} bash test/suites/fuzz.sh

bench:
	bash bench/run.sh

format:
	clang-format -i src/core/*.[ch]pp src/core/*/*.[ch]pp src/pg/*.[ch]pp src/pg/*/*.[ch]pp test/unit/*.cpp test/probe/*.cpp test/fuzz/*.[ch]pp
