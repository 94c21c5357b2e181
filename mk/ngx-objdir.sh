#!/bin/sh
# Prints the build directory to give nginx's configure for DIR ($1).
# configure turns source names into object names with sed, and its ".S"
# rule is not anchored, so a path containing ".S" (or '#', '&') comes out
# mangled; such a DIR is reached through a symbolic link with a plain name.
dir=$1
case "$dir" in
    *.S*|*'#'*|*'&'*)
        link=/tmp/ngx-llm-objs-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
        mkdir -p "$dir" && ln -sfn "$dir" "$link" && echo "$link" ;;
    *)
        echo "$dir" ;;
esac
