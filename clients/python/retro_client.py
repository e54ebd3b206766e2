#!/usr/bin/env python3
"""A small retro client in Python, on Debian's python3-grpcio.

It shows that the retro.v1 API is usable outside C++: join a session and
stream its events, add an annotation, and search the lesson library.

    retro_client.py --server 127.0.0.1:50051 --token "$TOKEN" watch sessions/ID
    retro_client.py --server ... --token ... say sessions/ID "Confirm the budget holder early"
    retro_client.py --server ... --token ... search "price competitor"

The generated modules (retro/v1/*_pb2*.py) must be on PYTHONPATH; the build
puts them in build/clients/python/gen.
"""

import argparse
import sys

import grpc

from retro.v1 import annotation_service_pb2
from retro.v1 import annotation_service_pb2_grpc
from retro.v1 import library_service_pb2
from retro.v1 import library_service_pb2_grpc
from retro.v1 import resources_pb2
from retro.v1 import session_service_pb2
from retro.v1 import session_service_pb2_grpc

# Keepalive on the client side too, so a dead server is noticed.
_CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 20000),
    ("grpc.keepalive_timeout_ms", 10000),
    ("grpc.keepalive_permit_without_calls", 1),
]


class RetroClient:
    """Stubs for one server and one bearer token."""

    def __init__(self, server, token):
        self.channel = grpc.insecure_channel(server, options=_CHANNEL_OPTIONS)
        self.metadata = [("authorization", "Bearer " + token)]
        self.sessions = session_service_pb2_grpc.SessionServiceStub(self.channel)
        self.annotations = annotation_service_pb2_grpc.AnnotationServiceStub(self.channel)
        self.library = library_service_pb2_grpc.LibraryServiceStub(self.channel)

    def close(self):
        self.channel.close()

    def watch(self, session, after_sequence=0, timeout=None):
        """Yields the session's events: the log after after_sequence, then live."""
        request = session_service_pb2.WatchSessionRequest(
            name=session, after_sequence=after_sequence)
        return self.sessions.WatchSession(request, metadata=self.metadata, timeout=timeout)

    def say(self, session, text, kind=resources_pb2.Annotation.LESSON, anonymous=False):
        """Adds an annotation to a live session."""
        request = annotation_service_pb2.AddAnnotationRequest(
            parent=session,
            annotation=resources_pb2.Annotation(kind=kind, text=text, anonymous=anonymous))
        return self.annotations.AddAnnotation(request, metadata=self.metadata, timeout=30)

    def search(self, query, page_size=10):
        """Searches the published lessons."""
        request = library_service_pb2.SearchLessonsRequest(query=query, page_size=page_size)
        return self.library.SearchLessons(request, metadata=self.metadata, timeout=30)


def _describe(event):
    change = event.WhichOneof("change")
    if change == "annotation":
        a = event.annotation
        who = a.author or "anonymous"
        state = " (deleted)" if a.deleted else ""
        return "#%d %s by %s: %s%s" % (event.sequence, resources_pb2.Annotation.Kind.Name(a.kind),
                                       who, a.text, state)
    if change == "session":
        s = event.session
        return "#%d session %s, stage %s" % (event.sequence, resources_pb2.SessionState.Name(s.state),
                                             resources_pb2.Stage.Name(s.stage))
    if change == "action_item":
        return "#%d action item: %s" % (event.sequence, event.action_item.text)
    if change == "presence":
        return "watching: %d" % event.presence.watchers
    return "#%d" % event.sequence


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--token", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    watch = commands.add_parser("watch", help="stream a session's events")
    watch.add_argument("session")
    watch.add_argument("--after", type=int, default=0)
    say = commands.add_parser("say", help="add a LESSON annotation")
    say.add_argument("session")
    say.add_argument("text")
    search = commands.add_parser("search", help="search the lesson library")
    search.add_argument("query")
    args = parser.parse_args(argv)

    client = RetroClient(args.server, args.token)
    try:
        if args.command == "watch":
            for event in client.watch(args.session, args.after):
                print(_describe(event), flush=True)
        elif args.command == "say":
            annotation = client.say(args.session, args.text)
            print(annotation.name)
        elif args.command == "search":
            response = client.search(args.query)
            for hit in response.hits:
                print("%.3f  %s  [%s]" % (hit.score, hit.snippet, hit.lesson.session_title))
            print("%d lessons" % response.total_size)
    except grpc.RpcError as error:
        print("retro_client: %s: %s" % (error.code().name, error.details()), file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
