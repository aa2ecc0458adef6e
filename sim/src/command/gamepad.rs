//! The gilrs gamepad reader: a thin adapter that turns gilrs events into [`InputEvent`]s for a
//! [`super::Teleop`]. Needs libudev on Linux; in a container without `/dev/input` gilrs starts
//! but sees no pad, which [`GamepadReader::open`] reports as an error to fall back on.

use super::{Axis, Button, InputEvent};
use crate::error::SimError;

/// An open gilrs context with at least one pad connected.
pub struct GamepadReader {
    gilrs: gilrs::Gilrs,
    name: String,
}

impl std::fmt::Debug for GamepadReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GamepadReader")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl GamepadReader {
    /// Opens gilrs and checks that a pad is connected. Errors say why there is none (no udev,
    /// no `/dev/input`, nothing plugged in) so the caller can fall back to another source.
    pub fn open() -> Result<Self, SimError> {
        let gilrs = match gilrs::Gilrs::new() {
            Ok(g) => g,
            Err(gilrs::Error::NotImplemented(_)) => {
                return Err(SimError::Gamepad(
                    "gilrs does not support this platform".into(),
                ));
            }
            Err(e) => {
                return Err(SimError::Gamepad(format!(
                    "could not open the input devices ({e}); in a container, udev and /dev/input \
                     are usually missing"
                )));
            }
        };
        let name = gilrs
            .gamepads()
            .next()
            .map(|(_, pad)| pad.name().to_string());
        match name {
            Some(name) => Ok(Self { gilrs, name }),
            None => Err(SimError::Gamepad(format!(
                "no gamepad connected (gilrs sees 0 pads{})",
                if std::path::Path::new("/dev/input").exists() {
                    ""
                } else {
                    "; /dev/input does not exist here"
                }
            ))),
        }
    }

    /// Name of the first connected pad.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every event waiting since the last call, translated (unmapped ones are dropped).
    pub fn poll(&mut self) -> Vec<InputEvent> {
        let mut out = Vec::new();
        while let Some(ev) = self.gilrs.next_event() {
            out.extend(translate(ev.event));
        }
        out
    }
}

/// A gilrs event as an [`InputEvent`] (`None` for what the mapping has no use for).
pub fn translate(event: gilrs::EventType) -> Option<InputEvent> {
    use gilrs::EventType as E;
    match event {
        E::AxisChanged(a, value, _) => axis(a).map(|axis| InputEvent::Axis { axis, value }),
        // Analog triggers report as buttons with a value.
        E::ButtonChanged(gilrs::Button::LeftTrigger2, value, _) => Some(InputEvent::Axis {
            axis: Axis::LeftTrigger,
            value,
        }),
        E::ButtonChanged(gilrs::Button::RightTrigger2, value, _) => Some(InputEvent::Axis {
            axis: Axis::RightTrigger,
            value,
        }),
        E::ButtonPressed(b, _) => button(b).map(InputEvent::Pressed),
        E::ButtonReleased(b, _) => button(b).map(InputEvent::Released),
        E::Disconnected => Some(InputEvent::Disconnected),
        _ => None,
    }
}

/// The gilrs axis as ours.
pub fn axis(a: gilrs::Axis) -> Option<Axis> {
    use gilrs::Axis as G;
    Some(match a {
        G::LeftStickX => Axis::LeftStickX,
        G::LeftStickY => Axis::LeftStickY,
        G::RightStickX => Axis::RightStickX,
        G::RightStickY => Axis::RightStickY,
        G::LeftZ => Axis::LeftTrigger,
        G::RightZ => Axis::RightTrigger,
        G::DPadX => Axis::DpadX,
        G::DPadY => Axis::DpadY,
        G::Unknown => return None,
    })
}

/// The gilrs button as ours (gilrs calls the bumpers `LeftTrigger`/`RightTrigger` and the
/// triggers `LeftTrigger2`/`RightTrigger2`).
pub fn button(b: gilrs::Button) -> Option<Button> {
    use gilrs::Button as G;
    Some(match b {
        G::South => Button::South,
        G::East => Button::East,
        G::North => Button::North,
        G::West => Button::West,
        G::LeftTrigger => Button::LeftBumper,
        G::RightTrigger => Button::RightBumper,
        G::LeftTrigger2 => Button::LeftTrigger,
        G::RightTrigger2 => Button::RightTrigger,
        G::Select => Button::Select,
        G::Start => Button::Start,
        G::Mode => Button::Mode,
        G::LeftThumb => Button::LeftThumb,
        G::RightThumb => Button::RightThumb,
        G::DPadUp => Button::DpadUp,
        G::DPadDown => Button::DpadDown,
        G::DPadLeft => Button::DpadLeft,
        G::DPadRight => Button::DpadRight,
        G::C | G::Z | G::Unknown => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gilrs_names_map_onto_the_mapping_names() {
        assert_eq!(axis(gilrs::Axis::LeftStickY), Some(Axis::LeftStickY));
        assert_eq!(axis(gilrs::Axis::RightZ), Some(Axis::RightTrigger));
        assert_eq!(axis(gilrs::Axis::Unknown), None);
        assert_eq!(button(gilrs::Button::LeftTrigger), Some(Button::LeftBumper));
        assert_eq!(
            button(gilrs::Button::RightTrigger2),
            Some(Button::RightTrigger)
        );
        assert_eq!(button(gilrs::Button::South), Some(Button::South));
        assert_eq!(button(gilrs::Button::Unknown), None);
        assert_eq!(
            translate(gilrs::EventType::Disconnected),
            Some(InputEvent::Disconnected)
        );
        assert_eq!(translate(gilrs::EventType::Connected), None);
    }

    /// Here (a container without /dev/input) gilrs opens with 0 pads: `open` must say so
    /// instead of panicking; on a machine with a pad it opens.
    #[test]
    fn open_without_a_pad_is_a_clear_error() {
        match GamepadReader::open() {
            Ok(reader) => assert!(!reader.name().is_empty()),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains("gamepad") || msg.contains("input"), "{msg}");
            }
        }
    }
}
