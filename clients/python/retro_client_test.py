"""The Python client against a real retrod: join, stream, annotate, search.

Run by CTest with RETROD set to the server binary and the generated modules
on PYTHONPATH.
"""

import os
import queue
import re
import subprocess
import tempfile
import threading
import unittest

import grpc

from retro.v1 import admin_service_pb2
from retro.v1 import admin_service_pb2_grpc
from retro.v1 import resources_pb2
from retro.v1 import session_service_pb2

import retro_client


class RetroClientTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.server = subprocess.Popen(
            [os.environ["RETROD"], "--listen=127.0.0.1:0",
             "--data_dir=" + os.path.join(self.dir.name, "data"),
             "--root_token_file=" + os.path.join(self.dir.name, "root_token")],
            stderr=subprocess.PIPE, text=True)
        self.address = None
        for line in self.server.stderr:
            match = re.search(r"listening on (\S+)", line)
            if match:
                self.address = match.group(1)
                break
        self.assertIsNotNone(self.address, "retrod did not start")
        # Keep draining the log so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.server.stderr], daemon=True).start()
        with open(os.path.join(self.dir.name, "root_token")) as f:
            root = f.read().strip()
        channel = grpc.insecure_channel(self.address)
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        created = admin.CreateOrganization(
            admin_service_pb2.CreateOrganizationRequest(
                organization_id="acme", admin_user_id="pat"),
            metadata=[("authorization", "Bearer " + root)], timeout=30)
        channel.close()
        self.client = retro_client.RetroClient(self.address, created.admin_token)

    def tearDown(self):
        self.client.close()
        self.server.terminate()
        self.server.wait(timeout=30)
        self.dir.cleanup()

    def test_joins_streams_annotates_and_searches(self):
        sessions = self.client.sessions
        md = self.client.metadata
        session = sessions.CreateSession(session_service_pb2.CreateSessionRequest(
            session=resources_pb2.Session(title="Python loss review")), metadata=md, timeout=30)
        sessions.StartSession(session_service_pb2.StartSessionRequest(name=session.name),
                              metadata=md, timeout=30)

        events = queue.Queue()
        stream = self.client.watch(session.name, timeout=60)

        def read():
            try:
                for event in stream:
                    events.put(event)
            except grpc.RpcError:
                pass
        threading.Thread(target=read, daemon=True).start()

        annotation = self.client.say(session.name, "Ask who signs before the proposal")
        seen = []
        while not any(e.WhichOneof("change") == "annotation" for e in seen):
            seen.append(events.get(timeout=30))
        sequences = [e.sequence for e in seen if e.sequence > 0]
        self.assertEqual(sequences, [1, 2, 3])  # Created, started, the annotation.
        self.assertEqual(seen[-1].annotation.name, annotation.name)
        stream.cancel()

        sessions.EndSession(session_service_pb2.EndSessionRequest(name=session.name),
                            metadata=md, timeout=30)
        sessions.PublishSession(session_service_pb2.PublishSessionRequest(name=session.name),
                                metadata=md, timeout=30)
        found = self.client.search("who signs")
        self.assertEqual(found.total_size, 1)
        self.assertEqual(found.hits[0].lesson.text, "Ask who signs before the proposal")
        self.assertIn("<b>", found.hits[0].snippet)

    def test_errors_come_back_as_grpc_statuses(self):
        with self.assertRaises(grpc.RpcError) as raised:
            self.client.say("sessions/nope", "hello")
        self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)


if __name__ == "__main__":
    unittest.main()
