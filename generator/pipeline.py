"""The whole pipeline: discover -> load -> validate -> identity -> render.

:func:`build` runs every stage over every file and returns all diagnostics plus the
rendered files; nothing here writes to disk (see :mod:`generator.write`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator import progress
from generator.argocd import cluster_files
from generator.config import Config, load_config
from generator.diagnostics import Diagnostic, finalize, has_errors
from generator.identity import Names, instance_id
from generator.load import LoadError, YamlLoader, leads_outside, resolved
from generator.model import Instance, Template
from generator.render import RenderedFile, Renderer, root_kustomization
from generator.validate import check_instance, check_template, instance_location
from generator.verify import Verifier, verify_rendered

TEMPLATE_FILE = "template.yaml"


class UsageError(Exception):
    """The command line asked for something that does not exist (exit 2)."""


@dataclass
class Build:
    root: Path
    config: Config
    templates: dict[str, Template] = field(default_factory=dict)
    instances: list[Instance] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[RenderedFile] = field(default_factory=list)
    #: template folders that exist but could not be read as templates
    broken_templates: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    def find(self, ref: str) -> Instance:
        """An instance by ``namespace/name`` or by its file path."""
        wanted = ref.removesuffix(".yaml")
        for instance in self.instances:
            if wanted in (instance.key, instance.file.removesuffix(".yaml")):
                return instance
            candidate = (Path.cwd() / ref).resolve()
            if candidate == (self.root / instance.file).resolve():
                return instance
        raise UsageError(f"no valid instance '{ref}' (use namespace/name or the file path)")


def _visible(path: Path) -> bool:
    return not any(part.startswith(".") for part in path.parts)


def _outside(root: Path, path: Path, display: str) -> Diagnostic | None:
    """An error when ``path`` leads out of the project (a symbolic link, or a folder that
    is one): a pull request must not make CI read, and print, files from elsewhere."""
    if not leads_outside(root, path):
        return None
    if resolved(path) is None:
        return Diagnostic(display, 1, 1, "$", "is a symbolic link that loops; wfchain "
                          "reads only files inside the project", "path")
    return Diagnostic(display, 1, 1, "$", "leads outside the project through a symbolic "
                      "link; wfchain reads only files inside the project", "path")


def build(root: Path, config_path: Path | None = None, *, render: bool = True,
          project: bool = True) -> Build:
    """Load, validate, identify and (with ``render``) render the project at ``root``.
    ``project``: the folder must hold the templates or instances folder (a wrong ``-C``
    must not pass as "0 instances: valid", nor prune a tree)."""
    loader = YamlLoader()
    config, problems = load_config(root, loader, config_path)
    result = Build(root=root, config=config, diagnostics=list(problems))
    if project and not problems and not any(
            (root / name).is_dir() for name in (config.templates_dir, config.instances_dir)):
        raise UsageError(f"{root} is not a wfchain project: it has no {config.templates_dir}/ "
                         f"or {config.instances_dir}/ folder (use -C to name the project "
                         "folder, or `wfchain new template` to start one)")
    if problems:
        result.diagnostics = finalize(result.diagnostics)
        return result
    _load_templates(result, loader)
    _load_instances(result, loader)
    _assign_ids(result)
    if render:
        _render(result)
    result.diagnostics = finalize(result.diagnostics)
    return result


def _load_templates(result: Build, loader: YamlLoader) -> None:
    """Loads every template. One with problems is kept (marked invalid) when its
    parameters could be read, so instances are still checked against them."""
    folder = result.root / result.config.templates_dir
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        display = f"{result.config.templates_dir}/{entry.name}/{TEMPLATE_FILE}"
        path = entry / TEMPLATE_FILE
        if not path.is_file():
            result.diagnostics.append(Diagnostic(
                f"{result.config.templates_dir}/{entry.name}", 1, 1, "$",
                f"template folder has no {TEMPLATE_FILE}", "template"))
            result.broken_templates.add(entry.name)
            continue
        outside = _outside(result.root, path, display)
        if outside is not None:
            result.diagnostics.append(outside)
            result.broken_templates.add(entry.name)
            continue
        try:
            document = loader.load_path(path, display)
        except LoadError as exc:
            result.diagnostics.append(exc.diagnostic)
            result.broken_templates.add(entry.name)
            continue
        template, problems = check_template(document, entry.name)
        result.diagnostics += problems
        if template is None:
            result.broken_templates.add(entry.name)
        else:
            result.templates[template.name] = template


def _load_instances(result: Build, loader: YamlLoader) -> None:
    base = result.root / result.config.instances_dir
    if not base.is_dir():
        return
    prefix = result.config.instances_dir
    paths = sorted((p for p in base.rglob("*") if (p.is_file() or p.is_symlink()) and
                    _visible(p.relative_to(base))), key=lambda p: p.relative_to(base).as_posix())
    for path in progress.track(paths, "loading", lambda p: p.relative_to(base).as_posix()):
        relative = path.relative_to(base).parts
        display = f"{prefix}/{'/'.join(relative)}"
        outside = _outside(result.root, path, display)
        if outside is not None:
            result.diagnostics.append(outside)
            continue
        if not path.is_file():  # a symbolic link to a folder (never followed) or to nothing
            continue
        if path.suffix == ".yml":
            result.diagnostics.append(Diagnostic(display, 1, 1, "$",
                                                 "instance files end in .yaml, not .yml", "path"))
            continue
        if path.suffix != ".yaml":
            continue
        location = instance_location(relative)
        if location is None:
            result.diagnostics.append(Diagnostic(
                display, 1, 1, "$",
                f"instance files live at {prefix}/<namespace>/<name>.yaml", "path"))
            continue
        try:
            document = loader.load_path(path, display)
        except LoadError as exc:
            result.diagnostics.append(exc.diagnostic)
            continue
        instance, problems = check_instance(document, location[0], location[1],
                                            result.templates, result.broken_templates)
        result.diagnostics += problems
        if instance is not None:
            result.instances.append(instance)


def _assign_ids(result: Build) -> None:
    config = result.config
    by_id: dict[str, list[Instance]] = defaultdict(list)
    for instance in result.instances:
        ident = instance.pinned_id or instance_id(instance.namespace, instance.name)
        names = Names(ident, instance.namespace, config.cluster_domain,
                      config.webhook_port, config.webhook_endpoint)
        auth = instance.webhook_auth
        if auth.get("enabled", config.webhook_auth):
            names = replace(names,
                            webhook_auth_secret=auth.get("secretName", names.default_auth_secret),
                            webhook_auth_key=auth.get("secretKey", config.webhook_auth_key))
        instance.names = names
        by_id[ident].append(instance)
    for ident, group in by_id.items():
        if len(group) < 2:
            continue
        for instance in group:
            others = ", ".join(o.file for o in group if o is not instance)
            path = ("id",) if instance.pinned_id else ()
            result.diagnostics.append(instance.document.diagnostic(
                path, f"instance ID '{ident}' is also the ID of {others}", "identity"))
    collided = {ident for ident, group in by_id.items() if len(group) > 1}
    result.instances = [i for i in result.instances
                        if i.names is not None and i.names.id not in collided]


def _render(result: Build) -> None:
    renderer = Renderer(result.config)
    verifier = Verifier.load()  # one per run: schemas are built once
    folders: list[str] = []
    for instance in progress.track(result.instances, "rendering", lambda i: i.key):
        template = result.templates[instance.template_name]
        files, problems = renderer.render(instance, template, result.config.source)
        if not problems:  # never write a chain that `wfchain verify` would reject
            problems = verify_rendered(verifier, files, result.config.output_dir)
        result.diagnostics += problems
        result.files += files
        folders.append(f"{instance.namespace}/{instance.name}")
    if result.ok:
        extra_files, extra_folders = cluster_files(result.config,
                                                   (i.namespace for i in result.instances))
        result.files += extra_files
        result.files.append(root_kustomization([*folders, *extra_folders]))
        result.files.sort(key=lambda f: f.path)
    else:
        result.files = []


def select(result: Build, refs: Sequence[str]) -> list[Instance]:
    return [result.find(ref) for ref in refs]
