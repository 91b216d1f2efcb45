"""The mechanism core.cluster relies on: a multiprocessing queue whose read lock a killed process held is
stuck for every reader (django-q2/django-q2#23), and `drain` still gets what is in it."""

import multiprocessing
import os
import queue
import signal
import time

from core.cluster import drain


def hold_the_read_lock_forever(task_queue):
    task_queue._rlock.acquire()  # as the idle worker next in line does, blocked in get()
    time.sleep(60)


def test_a_queue_whose_reader_was_killed_holding_its_lock_is_stuck_but_can_be_drained():
    context = multiprocessing.get_context("fork")
    task_queue = context.Queue(maxsize=4)
    for n in range(3):
        task_queue.put({"task": n})
    holder = context.Process(target=hold_the_read_lock_forever, args=(task_queue,))
    holder.start()
    while task_queue._rlock.acquire(False):  # wait until the holder has it
        task_queue._rlock.release()
        time.sleep(0.01)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()

    try:
        task_queue.get(timeout=0.5)
        raise AssertionError("the lock of a dead process should still be held")
    except queue.Empty:
        pass  # what a reincarnated worker meets: it waits for ever
    time.sleep(0.1)  # the feeder thread has written all three into the pipe by now
    assert drain(task_queue) == [{"task": 0}, {"task": 1}, {"task": 2}]
    task_queue.put({"task": 3})  # the room the drained items took is free again (a blocked pusher goes on)
