#!/usr/bin/env python3
"""Print a YAML document (a CloudFormation/SAM template, a CircleCI config) as JSON.

Usage: yaml_to_json.py FILE

CloudFormation's short tags become their long forms (`!Ref X` -> {"Ref": "X"}, `!Sub s` ->
{"Fn::Sub": "s"}, `!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]}), so the test suite can inspect
a template as plain JSON. Exits 1 with one line when the file is not readable YAML.
"""
import json
import sys

import yaml


class Loader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


Loader.add_multi_constructor("!", _tag)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as handle:
            document = yaml.load(handle, Loader=Loader)  # noqa: S506 (SafeLoader subclass)
    except (OSError, yaml.YAMLError) as error:
        print(f"{argv[1]}: {error}".replace("\n", " "), file=sys.stderr)
        return 1
    json.dump(document, sys.stdout, ensure_ascii=False, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
