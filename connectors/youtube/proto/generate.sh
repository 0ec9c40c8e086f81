#!/usr/bin/env bash
# Regenerate stream_list_pb2.py, .pyi and stream_list_pb2_grpc.py from stream_list.proto.
# Needs grpcio-tools (pip install grpcio-tools); the generated files are committed, so an
# install never needs it. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/../../.."
python -m grpc_tools.protoc -I. --python_out=. --pyi_out=. --grpc_python_out=. \
  connectors/youtube/proto/stream_list.proto
