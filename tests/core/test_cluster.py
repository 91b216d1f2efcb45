"""The mechanism core.cluster relies on: a multiprocessing queue whose read lock a killed process held is
stuck for every reader (django-q2/django-q2#23), and `drain` still gets what is in it."""

import fcntl
import multiprocessing
import os
import queue
import signal
import struct
import termios
import time
from multiprocessing.reduction import ForkingPickler

from core.cluster import drain
from tests.support.waiting import wait_until


def hold_the_read_lock_forever(task_queue):
    task_queue._rlock.acquire()  # as the idle worker next in line does, blocked in get()
    time.sleep(60)


def held_by_another(lock) -> bool:
    if lock.acquire(False):
        lock.release()
        return False
    return True


def bytes_in_the_pipe(task_queue) -> int:
    """How many bytes the queue's pipe holds, unread (FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(task_queue._reader.fileno(), termios.FIONREAD, bytes(4)))[0]


def in_the_pipe(items: list) -> int:
    """The bytes the queue's feeder thread writes for `items`: each message a 4-byte length, then its pickle."""
    return sum(4 + len(ForkingPickler.dumps(item)) for item in items)


def test_a_queue_whose_reader_was_killed_holding_its_lock_is_stuck_but_can_be_drained():
    context = multiprocessing.get_context("fork")
    task_queue = context.Queue(maxsize=4)
    items = [{"task": n} for n in range(3)]
    for item in items:
        task_queue.put(item)
    holder = context.Process(target=hold_the_read_lock_forever, args=(task_queue,))
    holder.start()
    wait_until(lambda: held_by_another(task_queue._rlock), timeout=10, interval=0.01, message="the holder's lock")
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()

    try:
        task_queue.get(timeout=0.5)
        raise AssertionError("the lock of a dead process should still be held")
    except queue.Empty:
        pass  # what a reincarnated worker meets: it waits for ever
    # put() hands the items to a feeder thread, which writes them into the pipe in its own time.
    wait_until(lambda: bytes_in_the_pipe(task_queue) == in_the_pipe(items), timeout=10, interval=0.01,
               message="the feeder thread to write the items into the pipe")
    assert drain(task_queue) == items
    task_queue.put({"task": 3})  # the room the drained items took is free again (a blocked pusher goes on)
