//! `<contact>`: body pairs excluded from collision and geom pairs that always collide.

use super::attrs::Attrs;
use super::tree::World;
use super::xml::{Document, Elem};
use crate::error::RobotError;
use crate::scene::{ContactExclude, ContactPair};
use std::collections::HashSet;

fn contact_children<'a>(doc: &'a Document, tag: &'a str) -> impl Iterator<Item = &'a Elem> + 'a {
    doc.root
        .children_named("contact")
        .flat_map(move |c| c.children_named(tag))
}

/// Names of the geoms that appear in a `<pair>` (they collide even when their bits say they
/// are visual only).
pub(crate) fn pair_geoms(doc: &Document) -> HashSet<String> {
    contact_children(doc, "pair")
        .flat_map(|p| [p.attr("geom1"), p.attr("geom2")])
        .flatten()
        .map(str::to_string)
        .collect()
}

/// Reads the excludes and pairs, checking that the bodies and geoms they name exist.
pub(crate) fn read_contacts(
    doc: &Document,
    world: &World,
) -> Result<(Vec<ContactExclude>, Vec<ContactPair>), RobotError> {
    let named = |a: &Attrs, key: &str, known: &HashSet<String>, what: &str| {
        let Some(name) = a.get(key) else {
            return Err(a.err(format!("needs a '{key}' attribute")));
        };
        if known.contains(name) {
            Ok(name.to_string())
        } else {
            Err(a.attr_err(key, format!("no {what} is called '{name}'")))
        }
    };
    let mut excludes = Vec::new();
    for e in contact_children(doc, "exclude") {
        let a = Attrs::new(e, None, doc);
        excludes.push(ContactExclude {
            body1: named(&a, "body1", &world.body_names, "body")?,
            body2: named(&a, "body2", &world.body_names, "body")?,
        });
    }
    let mut pairs = Vec::new();
    for p in contact_children(doc, "pair") {
        let a = Attrs::new(p, None, doc);
        pairs.push(ContactPair {
            geom1: named(&a, "geom1", &world.geom_names, "geom")?,
            geom2: named(&a, "geom2", &world.geom_names, "geom")?,
        });
    }
    Ok((excludes, pairs))
}
