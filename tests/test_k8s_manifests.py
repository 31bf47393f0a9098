"""deploy/k8s stays valid Kubernetes and in step with the code, with no cluster and no kubectl/kustomize binary.

Each kustomization is rendered here by a small renderer of the few kustomize features it uses (``resources``,
``namespace``, ``images``, ``patches`` as strategic merges); a kustomization using anything else fails the test,
so what is checked is what ``kubectl apply -k`` would send. Every rendered document is validated against the
Kubernetes JSON schemas of a pinned version shipped by ``kubernetes-validate`` (strict: unknown fields are errors),
then against our rules: commands as compose runs them, probes on /healthz and /readyz, one beat and one polling
bot, one image, secrets only by reference, variables the project reads, a root filesystem the image can live
with. Two tests run the probes' commands for real (a Celery worker on Redis, ``migrate --check`` on PostgreSQL).
"""

from __future__ import annotations

import copy
import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import kubernetes_validate
import psycopg
import pytest
import yaml
from django.http.request import validate_host

from tests.processes import database_url
from tests.test_compose import (
    BIN,
    IMAGE_METRICS_DIR,
    ROOT,
    SERVICES,
    THIRD_PARTY,
    _check,
    _check_program,
    _dockerfile,
    _dockerfile_args,
    _interpolate,
    _project_reads,
    _service_command,
)

K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30"  # the oldest minor still maintained by the big clouds; the schemas are pinned to it
OVERLAYS = ["base", "overlays/production", "overlays/production-polling"]
SECRET_NAME, CONFIG_NAME = "ukbot-secrets", "ukbot-config"
SECRET_LIKE = re.compile(r"SECRET|PASSWORD|_TOKEN$|ACCESS_KEY|DATABASE_URL|REDIS_URL|BROKER_URL|SIGNING_KEY")

# --- a renderer for the subset of kustomize we use --------------------------------------------------------------------
KUSTOMIZATION_KEYS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}
# Strategic-merge keys of the lists our patches reach (Kubernetes' patchMergeKey); other lists are replaced.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
}


def _load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _merge(base: Any, patch: Any, key: str | None = None) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for name, value in patch.items():
            merged[name] = _merge(base[name], value, name) if name in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and key in MERGE_KEYS:
        merge_key, merged = MERGE_KEYS[key], list(base)
        for item in patch:
            at = [i for i, old in enumerate(merged) if old.get(merge_key) == item.get(merge_key)]
            if at:
                merged[at[0]] = _merge(merged[at[0]], item)
            else:
                merged.append(copy.deepcopy(item))
        return merged
    return copy.deepcopy(patch)


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = _pod_spec(doc)
    return [*spec.get("initContainers", []), *spec.get("containers", [])] if spec else []


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
        return doc["spec"]["template"]["spec"]
    return None


def _set_image(image: str, rules: list[dict[str, str]]) -> str:
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    for rule in rules:
        if rule["name"] == name:
            return f"{rule.get('newName', name)}:{rule.get('newTag', tag or 'latest')}"
    return image


def render(directory: Path) -> list[dict[str, Any]]:
    """The documents ``kubectl kustomize directory`` prints, for the features listed in KUSTOMIZATION_KEYS."""
    (kustomization,) = _load_all(directory / "kustomization.yaml")
    assert set(kustomization) <= KUSTOMIZATION_KEYS, f"{directory}: the renderer does not know {set(kustomization)}"
    assert kustomization["kind"] == "Kustomization"
    docs: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        docs += render(path) if path.is_dir() else _load_all(path)
    for entry in kustomization.get("patches", []):
        assert set(entry) == {"path"}, f"{directory}: only strategic-merge patches by path: {entry}"
        (patch,) = _load_all(directory / entry["path"])  # one patch per file, as kustomize wants
        targets = [
            i
            for i, doc in enumerate(docs)
            if (doc["kind"], doc["metadata"]["name"]) == (patch["kind"], patch["metadata"]["name"])
        ]
        assert len(targets) == 1, f"{directory}/{entry['path']}: patches {len(targets)} documents"
        docs[targets[0]] = _merge(docs[targets[0]], patch)
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc.setdefault("metadata", {})["namespace"] = kustomization["namespace"]
    for doc in docs:
        for container in _containers(doc):
            container["image"] = _set_image(container["image"], kustomization.get("images", []))
    return docs


RENDERED = {overlay: render(K8S / overlay) for overlay in OVERLAYS}


def _named(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def _deployments(overlay: str) -> dict[str, dict[str, Any]]:
    return _named(RENDERED[overlay], "Deployment")


def _config(overlay: str) -> dict[str, str]:
    return _named(RENDERED[overlay], "ConfigMap")[CONFIG_NAME]["data"]


def _secret_example() -> dict[str, str]:
    lines = (K8S / "base" / "secret.example.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def _main(doc: dict[str, Any]) -> dict[str, Any]:
    (container,) = _pod_spec(doc)["containers"]
    return container


# --- the renderer itself ----------------------------------------------------------------------------------------------
def test_the_renderer_merges_by_the_kubernetes_merge_keys_and_replaces_other_lists():
    base = {"containers": [{"name": "a", "image": "x", "args": ["1", "2"]}, {"name": "b", "image": "y"}]}
    patch = {"containers": [{"name": "b", "image": "z"}, {"name": "c", "image": "w"}]}
    assert _merge(base, patch) == {
        "containers": [
            {"name": "a", "image": "x", "args": ["1", "2"]},
            {"name": "b", "image": "z"},
            {"name": "c", "image": "w"},
        ]
    }
    assert _merge({"args": ["1", "2"], "keep": 1}, {"args": ["3"]}) == {"args": ["3"], "keep": 1}
    assert _set_image("ukbot", [{"name": "ukbot", "newName": "r/ukbot", "newTag": "1"}]) == "r/ukbot:1"
    assert _set_image("other:2", [{"name": "ukbot", "newTag": "1"}]) == "other:2"
    assert _set_image("host:5000/ukbot:9", [{"name": "host:5000/ukbot", "newTag": "1"}]) == "host:5000/ukbot:1"


def test_the_renderer_refuses_a_kustomize_feature_it_does_not_implement(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("kind: Kustomization\nresources: []\nnamePrefix: x-\n")
    with pytest.raises(AssertionError, match="does not know"):
        render(tmp_path)


def test_the_production_patches_reach_what_they_mean_to():
    production = RENDERED["overlays/production"]
    web = _main(_deployments("overlays/production")["ukbot-web"])
    assert web["resources"]["requests"]["cpu"] == "1"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"  # untouched by the patch
    assert _named(production, "HorizontalPodAutoscaler")["ukbot-web"]["spec"]["minReplicas"] == 3
    assert _config("overlays/production")["ALLOWED_HOSTS"] == "ukbot.example.uz"
    assert _config("overlays/production")["TIME_ZONE"] == "Asia/Tashkent"  # base keys stay
    assert {doc["metadata"].get("namespace") for doc in production} == {"ukbot"}
    assert {doc["metadata"].get("namespace") for doc in RENDERED["base"]} == {None}  # the base names none


# --- the Kubernetes schemas -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_document_is_valid_against_the_pinned_kubernetes_schema(overlay):
    assert RENDERED[overlay]
    for doc in RENDERED[overlay]:
        try:
            checked = kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{overlay}: {doc['kind']}/{doc['metadata']['name']}: {exc.message} at {list(exc.path)}")
        assert checked == KUBERNETES_VERSION


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imagePullPolicy2="Always"),
            "imagePullPolicy2",
        ),
        (lambda d: d["spec"].update(replicas="one"), "'one' is not of type 'integer'"),
        (lambda d: d["spec"].pop("selector"), "'selector' is a required property"),
    ],
    ids=["unknown-field", "wrong-type", "missing-field"],
)
def test_the_schema_check_catches_a_mistake(change, expected):
    doc = copy.deepcopy(_deployments("base")["ukbot-beat"])
    change(doc)
    with pytest.raises(kubernetes_validate.ValidationError, match=re.escape(expected)):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


# --- what runs --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_processes_are_those_of_compose(overlay):
    deployments = _deployments(overlay)
    expected = {"ukbot-web", "ukbot-worker", "ukbot-beat"} | ({"ukbot-bot"} if overlay.endswith("polling") else set())
    assert set(deployments) == expected
    assert set(_named(RENDERED[overlay], "Job")) == {"ukbot-migrate"}


def _compose_argv(service: str) -> list[str]:
    return [_interpolate(arg, {}) for arg in _service_command(service)]  # compose's defaults


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_commands_are_compose_commands_and_refer_to_what_exists(overlay):
    docs = {**_deployments(overlay), **_named(RENDERED[overlay], "Job")}
    # web runs the image's command, as compose's web does
    web = _main(docs["ukbot-web"])
    assert "command" not in web and "args" not in web
    assert "command" not in SERVICES["web"]
    commands = {name.removeprefix("ukbot-"): _main(doc) for name, doc in docs.items()}
    for service in set(commands) - {"web"}:
        container = commands[service]
        assert "args" not in container, service
        assert container["command"] == _compose_argv(service), service
    checked = {service: _check(container["command"]) for service, container in commands.items() if service != "web"}
    assert checked == {
        "migrate": ["manage.py migrate", "manage.py ensure_admin"],
        "worker": ["celery worker"],
        "beat": ["celery beat"],
        **({"bot": ["manage.py runbot"]} if "bot" in commands else {}),
    }


WAIT_LOOP = re.compile(r"until (?P<command>[^;]+); do sleep (?P<pause>\d+); done")


def _wait_for_migrations(container: dict[str, Any]) -> list[str]:
    assert container["command"][:2] == ["sh", "-c"]
    match = WAIT_LOOP.fullmatch(container["command"][2])
    assert match, container["command"]
    return shlex.split(match["command"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_app_pod_waits_for_the_migrations_of_its_image(overlay):
    for name, deployment in _deployments(overlay).items():
        (init,) = _pod_spec(deployment)["initContainers"]
        assert init["name"] == "wait-for-migrations", name
        argv = _wait_for_migrations(init)
        assert argv == ["python", "manage.py", "migrate", "--check"], name
        assert _check_program(argv) == "manage.py migrate"
        assert init["envFrom"] == _main(deployment)["envFrom"], name


def test_the_job_runs_once_per_apply_and_cleans_up():
    job = _named(RENDERED["overlays/production"], "Job")["ukbot-migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] <= 5
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_image_everywhere(overlay):
    images = {c["image"] for doc in RENDERED[overlay] for c in _containers(doc)}
    assert len(images) == 1, images
    if overlay != "base":
        (image,) = images
        assert re.fullmatch(r"[\w.-]+(/[\w.-]+)+:[\w.-]+", image) and not image.endswith(":latest"), image


# --- probes -----------------------------------------------------------------------------------------------------------
def _port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    return number


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_probes_healthz_and_readyz_on_the_container_port(overlay):
    web = _main(_deployments(overlay)["ukbot-web"])
    (exposed,) = _dockerfile_args("EXPOSE")
    assert [p["containerPort"] for p in web["ports"]] == [int(exposed)]
    probes = {kind: web[kind]["httpGet"] for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert {kind: probe["path"] for kind, probe in probes.items()} == {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    for probe in probes.values():
        assert _port_number(web, probe["port"]) == int(exposed)
    # /readyz validates the Host header: the probe names a host Django accepts with this overlay's ALLOWED_HOSTS
    allowed = [h.strip() for h in _config(overlay)["ALLOWED_HOSTS"].split(",")]
    (host,) = [h["value"] for h in probes["readinessProbe"]["httpHeaders"] if h["name"] == "Host"]
    assert validate_host(host, allowed), (host, allowed)
    # the ingress serves the same host
    (ingress,) = _named(RENDERED[overlay], "Ingress").values()
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [host]
    assert ingress["spec"]["tls"][0]["hosts"] == [host]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_without_http_run_commands_that_exist(overlay):
    worker = _main(_deployments(overlay)["ukbot-worker"])
    for kind in ("startupProbe", "livenessProbe"):
        argv = worker[kind]["exec"]["command"]
        assert _check(argv, {"HOSTNAME": "ukbot-worker-0"}) == ["celery inspect"]
        assert worker[kind]["timeoutSeconds"] >= 20  # a Python process loading Django, then a broker round trip


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_worker_serves_its_metrics_where_its_scrape_annotations_point(overlay):
    deployment = _deployments(overlay)["ukbot-worker"]
    worker = _main(deployment)
    port = {env["name"]: env.get("value") for env in worker.get("env", [])}.get("CELERY_METRICS_PORT")
    assert port and port.isdigit()
    assert {"name": "metrics", "containerPort": int(port), "protocol": "TCP"} in worker["ports"]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == port
    assert annotations["prometheus.io/path"] == "/metrics"
    # and the multi-process directory the worker makes for itself lies on a writable mount
    assert "/tmp" in {mount["mountPath"] for mount in worker["volumeMounts"]}  # noqa: S108 - a mount path, not a file


# --- how each process scales ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_singletons_are_one_replica_recreated(overlay):
    singles = {"ukbot-beat", "ukbot-bot"} & set(_deployments(overlay))
    assert "ukbot-beat" in singles
    for name in singles:
        spec = _deployments(overlay)[name]["spec"]
        assert (spec["replicas"], spec["strategy"]) == (1, {"type": "Recreate"}), name
    scaled = {
        hpa["spec"]["scaleTargetRef"]["name"] for hpa in _named(RENDERED[overlay], "HorizontalPodAutoscaler").values()
    }
    assert scaled.isdisjoint(singles)
    assert set(_named(RENDERED[overlay], "PodDisruptionBudget")).isdisjoint(singles)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscalers_target_web_and_worker_which_leave_the_count_to_them(overlay):
    deployments = _deployments(overlay)
    hpas = _named(RENDERED[overlay], "HorizontalPodAutoscaler")
    assert {hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas.values()} == {"ukbot-web", "ukbot-worker"}
    for hpa in hpas.values():
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment")
        assert target["name"] in deployments
        assert hpa["metadata"].get("namespace") == deployments[target["name"]]["metadata"].get("namespace")
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert "replicas" not in deployments[target["name"]]["spec"]  # an apply would reset the HPA's count
        # CPU utilisation is measured against the request: each container must have one
        for container in _pod_spec(deployments[target["name"]])["containers"]:
            assert container["resources"]["requests"]["cpu"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_selectors_match_the_pods_they_mean(overlay):
    docs, deployments = RENDERED[overlay], _deployments(overlay)

    def selected(selector: dict[str, str]) -> set[str]:
        return {
            name
            for name, d in deployments.items()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        }

    for name, deployment in deployments.items():
        assert selected(deployment["spec"]["selector"]["matchLabels"]) == {name}
    for pdb in _named(docs, "PodDisruptionBudget").values():
        assert len(selected(pdb["spec"]["selector"]["matchLabels"])) == 1
    (service,) = _named(docs, "Service").values()
    assert selected(service["spec"]["selector"]) == {"ukbot-web"}
    (port,) = service["spec"]["ports"]
    web = _main(deployments["ukbot-web"])
    assert _port_number(web, port["targetPort"]) == 8000
    (ingress,) = _named(docs, "Ingress").values()
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert (backend["name"], backend["port"]["name"]) == (service["metadata"]["name"], port["name"])


# --- environment and secrets ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_is_one_the_project_reads(overlay):
    names = set(_config(overlay)) | set(_secret_example())
    for doc in RENDERED[overlay]:
        for container in _containers(doc):
            names |= {env["name"] for env in container.get("env", [])}
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef") or source.get("secretRef")
                assert ref["name"] in {CONFIG_NAME, SECRET_NAME}, ref
    assert names - _project_reads() - set(THIRD_PARTY) == set()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_only_by_reference(overlay):
    docs = RENDERED[overlay]
    assert not _named(docs, "Secret"), "a Secret's values would be in the repository"
    for key in _config(overlay):
        assert not SECRET_LIKE.search(key), f"{key} belongs in {SECRET_NAME}"
    for doc in docs:
        for container in _containers(doc):
            assert {"configMapRef": {"name": CONFIG_NAME}} in container["envFrom"]
            assert {"secretRef": {"name": SECRET_NAME}} in container["envFrom"]
            for env in container.get("env", []):
                assert not SECRET_LIKE.search(env["name"]) or "value" not in env, env


def test_the_secret_example_names_every_secret_and_holds_no_value():
    example = _secret_example()
    assert {name: value for name, value in example.items() if value} == {}
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "AWS_SECRET_ACCESS_KEY", "TELEGRAM_BOT_TOKEN"} <= set(example)
    secret_settings = {name for name in _project_reads() if SECRET_LIKE.search(name)}
    # every secret setting the app reads is in the example, bar the ones a deployment has no use for
    assert secret_settings - set(example) == {"DEMO_PASSWORD"}  # `make run`'s demo people only
    assert set(example).isdisjoint(_config("overlays/production"))


def test_the_git_tree_holds_no_filled_secret_file():
    tracked = subprocess.run(
        ["git", "ls-files", "deploy/k8s"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert [path for path in tracked if path.endswith(".env") and not path.endswith(".example.env")] == []


def _filled_secret() -> dict[str, str]:
    return {
        **_secret_example(),
        "SECRET_KEY": "k" * 50,
        "DATABASE_URL": "postgres://ukbot:pw@postgres.ukbot.svc:5432/ukbot",
        "REDIS_URL": "redis://redis.ukbot.svc:6379/0",
        "AWS_ACCESS_KEY_ID": "id",
        "AWS_SECRET_ACCESS_KEY": "key",
        "AWS_S3_ENDPOINT_URL": "http://minio.ukbot.svc:9000",
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_config_with_a_filled_in_secret_passes_the_settings_check(overlay, tmp_path):
    # given what a pod sees: the image's ENV, the ConfigMap and the Secret (the example's empty optional entries too)
    image_env = {}
    for keyword, arguments in _dockerfile():
        if keyword == "ENV":
            image_env |= dict(pair.split("=", 1) for pair in arguments.split())
    image_env.pop("PATH")
    image_env |= {"UKBOT_VAR_DIR": str(tmp_path / "var"), "STATIC_ROOT": str(tmp_path / "static"), "PYTHONPATH": ""}
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **image_env, **_config(overlay), **_filled_secret()}
    # when Django loads it, then every setting is accepted
    finished = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert (finished.returncode, finished.stderr) == (0, "")


def test_a_missing_required_secret_stops_the_settings_check(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **_config("overlays/production"), **_filled_secret()}
    env["SECRET_KEY"] = ""  # as `kubectl create secret --from-env-file` leaves a line without a value
    finished = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 2
    assert "SECRET_KEY" in finished.stderr


# --- security context and the image's writable paths ------------------------------------------------------------------
def _image_user() -> tuple[int, str]:
    (create,) = [run for run in _dockerfile_args("RUN") if "useradd" in run]
    uid = int(re.search(r"--uid (\d+)", create)[1])
    home = re.search(r"--home-dir (\S+)", create)[1]
    return uid, home


def _image_writable_dirs() -> set[str]:
    env = {}
    for keyword, arguments in _dockerfile():
        if keyword == "ENV":
            env |= dict(pair.split("=", 1) for pair in arguments.split())
    _, home = _image_user()
    # local files (UKBOT_VAR_DIR), gunicorn's control socket ($HOME/.gunicorn), the metrics directory
    return {env["UKBOT_VAR_DIR"], home, str(Path(IMAGE_METRICS_DIR).parent)}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_as_the_image_user_on_a_read_only_root(overlay):
    uid, _ = _image_user()
    for doc in RENDERED[overlay]:
        spec = _pod_spec(doc)
        if spec is None:
            continue
        name = doc["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] == uid, name
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in _containers(doc):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert all("emptyDir" in volumes[volume] for volume in mounts.values()), name
            if container["name"] != "wait-for-migrations":  # it only reads the database
                assert _image_writable_dirs() <= set(mounts), (name, container["name"])


_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?")


def _quantity(value: str | int) -> float:
    number, unit = _QUANTITY.fullmatch(str(value)).groups()
    return float(number) * {None: 1, "m": 0.001, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}[unit]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_within_limits(overlay):
    for doc in RENDERED[overlay]:
        for container in _containers(doc):
            resources = container["resources"]
            for resource in ("cpu", "memory"):
                assert _quantity(resources["requests"][resource]) <= _quantity(resources["limits"][resource]), (
                    doc["metadata"]["name"],
                    container["name"],
                    resource,
                )


# --- the probes' commands, for real -----------------------------------------------------------------------------------
def _app_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_DEBUG": "1",
        "SECRET_KEY": "s" * 50,
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "UKBOT_VAR_DIR": str(tmp_path / "var"),
        **extra,
    }


@pytest.mark.django_db
def test_the_wait_for_migrations_command_passes_on_a_migrated_database_only(tmp_path):
    argv = _wait_for_migrations(_pod_spec(_deployments("base")["ukbot-web"])["initContainers"][0])
    # given the test database, migrated by pytest-django: the pod may start
    migrated = subprocess.run(argv, cwd=ROOT, env=_app_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    # given an empty database (a release whose migrations have not run yet): the pod keeps waiting
    empty = f"ukbot_k8s_empty_{uuid.uuid4().hex[:8]}"
    url = urlsplit(database_url())
    admin_url = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{empty}"')
    try:
        env = _app_env(tmp_path, DATABASE_URL=urlunsplit(url._replace(path=f"/{empty}")))
        pending = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert pending.returncode == 1, pending.stderr
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')


@pytest.mark.slow
def test_the_worker_liveness_probe_answers_for_this_pods_worker_only(tmp_path):
    worker = _main(_deployments("base")["ukbot-worker"])
    probe = worker["livenessProbe"]["exec"]["command"]
    hostname = f"k8s-probe-{uuid.uuid4().hex[:8]}"  # the pod's name; Celery's node is celery@<host name>
    env = _app_env(tmp_path)
    # given the worker's own command, under the node name Celery would take in a pod of that name
    argv = [*worker["command"], "--hostname", f"celery@{hostname}", "--pool", "solo"]
    argv[argv.index("--concurrency") + 1] = "1"
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, answered = time.monotonic() + 90, None
        while time.monotonic() < deadline and process.poll() is None:
            # when the probe runs in that pod (HOSTNAME is the pod's name there)
            answered = subprocess.run(
                probe, cwd=ROOT, env={**env, "HOSTNAME": hostname}, capture_output=True, text=True, timeout=60
            )
            if answered.returncode == 0:
                break
        # then it passes once the worker is up
        assert answered is not None and answered.returncode == 0, (answered and answered.stdout, process.poll())
        assert f"celery@{hostname}: OK" in answered.stdout
        # and in another pod, whose worker is not this one, it fails
        other = subprocess.run(
            probe, cwd=ROOT, env={**env, "HOSTNAME": f"{hostname}-other"}, capture_output=True, text=True, timeout=60
        )
        assert other.returncode != 0
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output


# --- the rules catch what they are for -------------------------------------------------------------------------------
def _deployment(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return _named(docs, "Deployment")[name]


def _web(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return _main(_deployment(docs, "ukbot-web"))


BREAKAGES = {
    "two-beats": (
        lambda docs: _deployment(docs, "ukbot-beat")["spec"].update(replicas=2),
        test_singletons_are_one_replica_recreated,
    ),
    "rolling-polling-bot": (
        lambda docs: _deployment(docs, "ukbot-bot")["spec"].update(strategy={"type": "RollingUpdate"}),
        test_singletons_are_one_replica_recreated,
    ),
    "unknown-variable": (
        lambda docs: _named(docs, "ConfigMap")[CONFIG_NAME]["data"].update(WEB_CONCURRENCY="4"),
        test_every_variable_is_one_the_project_reads,
    ),
    "secret-in-configmap": (
        lambda docs: _named(docs, "ConfigMap")[CONFIG_NAME]["data"].update(EMAIL_HOST_PASSWORD="x"),
        test_secrets_only_by_reference,
    ),
    "secret-document": (
        lambda docs: docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": SECRET_NAME}}),
        test_secrets_only_by_reference,
    ),
    "second-image": (
        lambda docs: _main(_deployment(docs, "ukbot-beat")).update(image="ukbot:other"),
        test_one_image_everywhere,
    ),
    "readiness-on-healthz": (
        lambda docs: _web(docs)["readinessProbe"]["httpGet"].update(path="/healthz"),
        test_web_probes_healthz_and_readyz_on_the_container_port,
    ),
    "probe-host-not-allowed": (
        lambda docs: _web(docs)["readinessProbe"]["httpGet"]["httpHeaders"][0].update(value="evil.example.net"),
        test_web_probes_healthz_and_readyz_on_the_container_port,
    ),
    "hpa-on-missing-deployment": (
        lambda docs: _named(docs, "HorizontalPodAutoscaler")["ukbot-web"]["spec"]["scaleTargetRef"].update(name="web"),
        test_autoscalers_target_web_and_worker_which_leave_the_count_to_them,
    ),
    "worker-command-drifts": (
        lambda docs: _main(_deployment(docs, "ukbot-worker")).update(command=["celery", "-A", "ukbot", "worker"]),
        test_commands_are_compose_commands_and_refer_to_what_exists,
    ),
    "worker-metrics-unannotated": (
        lambda docs: _deployment(docs, "ukbot-worker")["spec"]["template"]["metadata"]["annotations"].update(
            {"prometheus.io/port": "9100"}
        ),
        test_the_worker_serves_its_metrics_where_its_scrape_annotations_point,
    ),
    "no-tmp-on-a-read-only-root": (
        lambda docs: _web(docs).update(volumeMounts=[m for m in _web(docs)["volumeMounts"] if m["name"] != "tmp"]),
        test_pods_run_as_the_image_user_on_a_read_only_root,
    ),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_each_rule_fails_on_a_manifest_that_breaks_it(breakage, monkeypatch):
    # given the polling overlay (it has every kind of process) with one mistake in it
    overlay, (spoil, rule) = "overlays/production-polling", BREAKAGES[breakage]
    docs = copy.deepcopy(RENDERED[overlay])
    spoil(docs)
    monkeypatch.setitem(RENDERED, overlay, docs)
    # then the rule that guards against it fails
    with pytest.raises(AssertionError):
        rule(overlay)
