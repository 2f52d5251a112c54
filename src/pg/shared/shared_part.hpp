// One part of tako_cache's shared memory: a struct `T` in a segment of its own, guarded by one
// LWLock of a tranche of its own; without preloading, this process's copy, which needs no lock.
// Critical sections are copies and arithmetic (nothing that can throw or ereport, no loop over a
// table): the lock is never held across a PostgreSQL call.
#pragma once

#include <cstddef>
#include <new>

#include "pg/postgres.hpp"

extern "C" {
#include "storage/lwlock.h"
#include "storage/shmem.h"
}

namespace tako::pg::shared {

template <typename T>
class SharedPart {
public:
    explicit SharedPart(const char *name) : name_(name) {}

    // shmem_request_hook: the segment's size and its tranche.
    void request() const {
        RequestAddinShmemSpace(sizeof(T));
        RequestNamedLWLockTranche(name_, 1);
    }
    // shmem_startup_hook, under AddinShmemInitLock: attaches (the first process initialises).
    void attach() {
        bool found = false;
        void *memory = ShmemInitStruct(name_, sizeof(T), &found);
        if (!found) new (memory) T();
        shared_ = static_cast<T *>(memory);
        lock_ = &GetNamedLWLockTranche(name_)[0].lock;
    }

    // Runs `fn(T &)` under the lock (exclusive, or shared for a read).
    template <typename Fn>
    void with(Fn &&fn, LWLockMode mode = LW_EXCLUSIVE) {
        if (!shared_) {
            fn(local_);
            return;
        }
        LWLockAcquire(lock_, mode);
        fn(*shared_);
        LWLockRelease(lock_);
    }

private:
    const char *name_;
    T local_{};
    T *shared_ = nullptr;
    LWLock *lock_ = nullptr;
};

}  // namespace tako::pg::shared
